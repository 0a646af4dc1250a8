"""The verbs a user types (``train``, ``promote``, ``screen`` ...): the only sequencing code.

The ``src/<verb>.py`` shims print what these return. Heavy libraries (MLflow, SHAP, model
libraries) are imported inside functions so that ``python -m <verb> --help`` starts fast.
"""
