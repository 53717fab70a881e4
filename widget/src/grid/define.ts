import { define } from "../define.js";
import { ImagePoolGrid } from "./image-pool-grid.js";

define("image-pool-grid", ImagePoolGrid);
