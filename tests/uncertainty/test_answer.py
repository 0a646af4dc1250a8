"""A target's conditions in the answer to a lab's file."""

import pandas as pd

from nacarbon.uncertainty.answer import outside_conditions


def test_outside_conditions_names_the_value_and_answers_rows_that_do_not_say():
    frame = pd.DataFrame({"electrolyte": ["ester", "ether", None, ""], "material_class": ["hard"] * 4})
    reasons = outside_conditions(frame, {"electrolyte": ["ester"], "material_class": ["hard", "soft"]})
    assert reasons.tolist() == ["", "electrolyte ether is not ester", "", ""]
    assert (outside_conditions(frame.drop(columns="electrolyte"), {"electrolyte": ["ester"]}) == "").all()
    assert (outside_conditions(frame, None) == "").all()


def test_conditions_read_as_words():
    from nacarbon.uncertainty.answer import describe_conditions

    assert describe_conditions({"electrolyte": ["ester"], "material_class": ["hard", "soft"]}) == \
        "electrolyte ester; material_class hard or soft"
