"""TFX retraining pipeline for the spectral detector (see README.md in this folder).

``configs`` imports without TFX; ``pipeline``, ``components``, ``models`` and ``local_runner`` need
``tfx==1.21.0`` (run them natively where ``import tfx`` works, or through ``run_in_debian13.sh``).
"""
