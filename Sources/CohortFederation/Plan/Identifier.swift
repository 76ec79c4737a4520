/// The rule for names that become folder, file, ledger and certificate names (runs and
/// sites): letters, digits, `.`, `_` and `-`, starting with a letter or digit.
enum Identifier {
    private static let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")

    /// Whether `value` follows the rule (an empty value does not).
    static func isValid(_ value: String) -> Bool {
        guard let first = value.first, first.isLetter || first.isNumber else { return false }
        return value.allSatisfy { allowed.contains($0) }
    }
}
