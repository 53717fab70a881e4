import { define } from "../define.js";
import { ImagePoolGridElement } from "./image-pool-grid.js";

define("image-pool-grid", ImagePoolGridElement);
