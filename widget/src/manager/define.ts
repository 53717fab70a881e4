import { define } from "../define.js";
import { ImagePoolManagerElement } from "./image-pool-manager.js";

define("image-pool-manager", ImagePoolManagerElement);
