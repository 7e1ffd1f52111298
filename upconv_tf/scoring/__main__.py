"""``python -m upconv_tf.scoring --input GLOB --model URI --output PREFIX [Beam options]``: the ``upconv-tf score``
command, in the form Beam users launch pipelines with (``python -m module ... --runner=DataflowRunner``)."""

import sys

from upconv_tf.cli import main

sys.exit(main(["score", *sys.argv[1:]]))
