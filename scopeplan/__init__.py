"""scopeplan: least-privilege Zoho CRM OAuth scopes and worst-case credits, by static analysis."""

__version__ = "0.1.0"

# The collector's thresholds in scopeplan's own processes: a parse makes a million small objects, few of them
# cyclic garbage, and the command line's process keeps every file's facts and the values resolved from them.
# The default (700, 10, 10) collects every few hundred and spends a tenth of a parse (a quarter of the SDK
# tree's plan) on it.
GC_THRESHOLDS = (10_000, 10, 10)
