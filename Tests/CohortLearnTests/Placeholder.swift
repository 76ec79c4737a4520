// Placeholder; delete when real tests land.
