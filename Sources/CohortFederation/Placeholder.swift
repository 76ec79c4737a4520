// Placeholder until this module lands; delete when it has real files.
