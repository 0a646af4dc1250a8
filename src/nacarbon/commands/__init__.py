"""The verbs a user types (``train``, ``promote``, ``screen`` ...): the only sequencing code.

Heavy libraries are imported inside functions so that ``python -m <verb> --help`` starts fast."""
