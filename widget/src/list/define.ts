import { define } from "../define.js";
import { ImagePoolListElement } from "./image-pool-list.js";

define("image-pool-list", ImagePoolListElement);
