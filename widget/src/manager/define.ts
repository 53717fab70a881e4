import { define } from "../define.js";
import { ImagePoolManager } from "./image-pool-manager.js";

define("image-pool-manager", ImagePoolManager);
