"""Folder-level library functions: the work behind the commands (each module one workflow, e.g.
:mod:`upconv_tf.workflows.detector`, :mod:`upconv_tf.workflows.refine`). Importing this package imports nothing."""
