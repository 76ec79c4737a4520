/// Range checks for strategy settings, shared by the strategies' initialisers and
/// `StrategyConfiguration.validate()`, so a setting has one domain and one message wherever it
/// is given. Messages name the plan field, e.g.
/// `strategy.momentum must be in [0, 1), got 1.5`.
enum SettingCheck {
    /// The plan path of a strategy setting: `strategy.<key>`.
    static func path(_ field: StrategyConfiguration.Field) -> String { "strategy.\(field.rawValue)" }

    /// `value` is finite and > 0 (learning rates, τ).
    static func positive(_ value: Double, _ key: StrategyConfiguration.Field) throws(StrategyError) {
        guard value.isFinite, value > 0 else {
            throw StrategyError(.invalidConfiguration, "\(path(key)) must be finite and > 0, got \(value)")
        }
    }

    /// `value` is finite and ≥ 0 (FedProx μ).
    static func nonNegative(_ value: Double, _ key: StrategyConfiguration.Field) throws(StrategyError) {
        guard value.isFinite, value >= 0 else {
            throw StrategyError(.invalidConfiguration, "\(path(key)) must be finite and ≥ 0, got \(value)")
        }
    }

    /// `value` ∈ [0, `upper`) (decay rates with `upper` = 1, the trim fraction with 0.5).
    static func inHalfOpenRange(_ value: Double, below upper: Double, _ key: StrategyConfiguration.Field) throws(StrategyError) {
        guard value >= 0, value < upper else {
            let bound = upper.rounded() == upper ? String(Int(upper)) : "\(upper)"
            throw StrategyError(.invalidConfiguration, "\(path(key)) must be in [0, \(bound)), got \(value)")
        }
    }
}
