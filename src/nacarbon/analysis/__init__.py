"""Structure-property analysis: Spearman tables, performance maps and model explanation."""
