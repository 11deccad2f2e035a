"""Reports: completion by cohort, regency, institution and module; exports; charts."""
