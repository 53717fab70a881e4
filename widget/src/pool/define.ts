import { define } from "../define.js";
import { ImagePool } from "./image-pool.js";

define("image-pool", ImagePool);
