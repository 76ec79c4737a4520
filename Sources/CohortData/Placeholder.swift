// Placeholder until CohortData lands; delete when the module has real files.
