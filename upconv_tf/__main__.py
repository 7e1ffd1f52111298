import sys

from upconv_tf.cli import main

sys.exit(main())
