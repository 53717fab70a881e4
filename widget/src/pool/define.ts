import { define } from "../define.js";
import { ImagePoolElement } from "./image-pool.js";

define("image-pool", ImagePoolElement);
