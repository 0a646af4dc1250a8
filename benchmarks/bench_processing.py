"""Processing against synthetic truth: our value beside the two-band / uncorrected / old one.

    OMP_NUM_THREADS=1 python benchmarks/bench_processing.py

Prints a Markdown table (quantity, synthetic truth, ours, the old or uncorrected value).
"""

from __future__ import annotations

import numpy as np

from nacarbon.processing.electrochem import _cycle_table, analyze_cycling
from nacarbon.processing.raman import analyze_raman
from nacarbon.processing.rate import rate_factor
from synthetic import cycling_test, raman_spectrum, xrd_pattern
from nacarbon.processing.xrd import K_LA_100, K_LC_002, analyze_xrd, d_spacing, scherrer_size


def main() -> None:
    """Print the table."""
    rows = []
    # broad (002), recorded with the LP factor: LP correction vs none
    x, y = xrd_pattern(fwhm_002=6.0, lp_weighted=True)
    lp, raw = analyze_xrd(x, y, lp_correction=True), analyze_xrd(x, y)
    rows.append(("d002, nm (broad 002, LP-weighted pattern)", d_spacing(23.0), lp.d002_nm, raw.d002_nm,
                 "LP-corrected / uncorrected"))
    # sharp peaks with a 0.6 deg instrument: quadrature correction vs none
    x, y = xrd_pattern(fwhm_002=1.2, fwhm_100=2.0, instrument_fwhm=0.6)
    cor = analyze_xrd(x, y, instrument_fwhm_deg=0.6)
    rows.append(("Lc, nm (002 FWHM 1.2 deg, instrument 0.6 deg)", scherrer_size(1.2, 23.0, K_LC_002), cor.lc_nm,
                 cor.lc_uncorrected_nm, "broadening-corrected / uncorrected"))
    rows.append(("La, nm (100 FWHM 2.0 deg, instrument 0.6 deg)", scherrer_size(2.0, 43.5, K_LA_100), cor.la_nm,
                 cor.la_uncorrected_nm, "broadening-corrected / uncorrected"))
    s, i, truth = raman_spectrum()
    five, two = analyze_raman(s, i), analyze_raman(s, i, model="two-band")
    bwf = analyze_raman(s, i, model="bwf")
    rows.append(("ID/IG height (D1/G), five-band spectrum", truth["id_ig_height"], five.id_ig_height,
                 two.id_ig_height, f"Sadezky / two-band (D+BWF: {bwf.id_ig_height:.3f})"))
    rows.append(("ID/IG area (D1/G), five-band spectrum", truth["id_ig_area"], five.id_ig_area, two.id_ig_area,
                 "Sadezky / two-band"))
    data, t = cycling_test()
    res = analyze_cycling(data)
    cycles = _cycle_table(data).dropna()
    old_rf = rate_factor(cycles["current_ma_g"], cycles["charge"], per="A/g").rate_factor
    for name, label in (("ice_pct", "ICE, %"), ("capacity_mah_g", "capacity at 100 mA/g, mAh/g"),
                        ("plateau_v", "working plateau (cycle 1 discharge), V"),
                        ("plateau_capacity_mah_g", "plateau capacity below 0.1 V, mAh/g")):
        rows.append((label, t[name], res.value(name), None, "no earlier method"))
    rows.append(("rate factor, 300->100 mAh/g over 0.02->2 A/g", t["rate_factor"], res.value("rate_factor"), old_rf,
                 "per 100 mA/g, ladder only / old: per A/g, every cycle incl. recovery"))
    print("| quantity | synthetic truth | ours | two-band / uncorrected / old | compared |")
    print("|---|---|---|---|---|")
    for q, tr, ours, old, how in rows:
        other = "—" if old is None else f"{old:.4g}"
        print(f"| {q} | {tr:.4g} | {ours:.4g} | {other} | {how} |")
    print(f"\nTable 1 rate factor span: 0.06-1.2; ours {res.value('rate_factor'):.3f}, old {old_rf:.4f}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
