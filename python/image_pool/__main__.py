import sys

from image_pool.cli import main

sys.exit(main())
