"""The rewrite plan, its checks, the audit table, and applying the plan to a cobra model or an SBML document."""
