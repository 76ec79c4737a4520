/// JSON for a metric value: an object with a `value` that is a number or `null`, and for
/// `null` a `reason`, so a reader that only looks at `value` sees a gap, never a fake number.
///
/// ```json
/// {"value": 0.75}
/// {"value": null, "reason": "only one class present"}
/// ```
///
/// The reason is `MetricValue.Reason`'s raw value; decoding rejects an unknown reason, a
/// `null` without a reason, and a non-finite number.
extension MetricValue: Codable {
    private enum CodingKeys: String, CodingKey {
        case value
        case reason
    }

    /// Reads `{"value": x}` or `{"value": null, "reason": "..."}`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let x = try container.decodeIfPresent(Double.self, forKey: .value) {
            guard x.isFinite else {
                throw DecodingError.dataCorruptedError(
                    forKey: .value, in: container, debugDescription: "a metric value must be finite, got \(x)")
            }
            self = .value(x)
        } else {
            self = .undefined(reason: try container.decode(Reason.self, forKey: .reason))
        }
    }

    /// Writes `{"value": x}` or `{"value": null, "reason": "..."}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .value(let x):
            try container.encode(x, forKey: .value)
        case .undefined(let reason):
            try container.encodeNil(forKey: .value)
            try container.encode(reason, forKey: .reason)
        }
    }
}
