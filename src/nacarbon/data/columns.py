"""Column names of the nacarbon database: one place, so every module spells them the same.

Units are in the names: nm, m2_g (m²/g), pct (%), mah_g (mAh/g), ma_g (mA/g), v (V), c (°C).
"""

from __future__ import annotations

# Identity and provenance
SAMPLE_ID = "sample_id"          # unique within a dataset, e.g. "T1-07" (Table 1, row 7)
DATASET = "dataset"              # which database a row came from: "seed" or "literature"
SOURCE = "source"                # citation (or paper title) of the paper reporting the row: the CV group
PAPER_ID = "paper_id"            # canonical paper key (doi:/title:/cite:, nacarbon.data.papers): THE CV group
REF_NO = "ref_no"                # reference number in Liu et al. 2022 (seed rows only)
MATERIAL_CLASS = "material_class"  # "hard" or "soft"
PRECURSOR = "precursor"
HTT_C = "htt_c"                  # heat-treatment (carbonization) temperature, °C
ELECTROLYTE = "electrolyte"      # "ester" or "ether"
IDIG_CONVENTION = "idig_convention"  # how ID/IG was read: "peak_intensity", "area", ... or "unknown"

# Structure (features)
D002_NM = "d002_nm"              # interlayer spacing from the (002) peak, Bragg's law
LA_NM = "la_nm"                  # in-plane crystallite size, Scherrer on (100), K = 1.84
LC_NM = "lc_nm"                  # stacking height, Scherrer on (002), K = 0.90
ID_IG = "id_ig"                  # Raman D/G peak-intensity ratio
SSA_M2_G = "ssa_m2_g"            # BET specific surface area

# Performance (targets)
CAPACITY_MAH_G = "capacity_mah_g"    # reversible capacity at CURRENT_MA_G
CURRENT_MA_G = "current_ma_g"        # current density the capacity was measured at
RATE_FACTOR = "rate_factor"          # 1 / slope of capacity vs current density (paper's definition)
ICE_PCT = "ice_pct"                  # initial coulombic efficiency, %
PLATEAU_V = "plateau_v"              # average working (discharge) voltage, V
PLATEAU_CAPACITY_MAH_G = "plateau_capacity_mah_g"  # capacity below the plateau knee (literature set)

STRUCTURE = [D002_NM, LA_NM, LC_NM, ID_IG, SSA_M2_G]

GRAPHITE_D002_NM = 0.3354        # graphite's interlayer spacing: no carbon packs its layers closer
