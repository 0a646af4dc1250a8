"""The verbs a user types (``train``, ``promote``, ``screen`` ...): the only sequencing code.

Each module reads its composed config, calls the library, and returns plain results; the
``src/<verb>.py`` shims print them. Heavy libraries (MLflow, SHAP, model libraries) are imported
inside functions so that ``python -m <verb> --help`` starts fast.
"""
