extension StrategyConfiguration: Codable {
    /// Decodes `{name: …, <settings>…}` or a bare name (`strategy: fedavg`).
    ///
    /// Structural errors are `DecodingError`s whose coding path ends at the field: an unknown
    /// key (a typo must not be silently ignored), an unknown strategy name, a weighting other
    /// than `records` / `uniform`, a value of the wrong type. Ranges are checked by `validate()`.
    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            guard let kind = StrategyKind(rawValue: name) else {
                throw DecodingError.dataCorruptedError(
                    in: single, debugDescription: Self.unknownStrategyMessage(name))
            }
            self.init(kind)
            return
        }
        try Self.rejectUnknownKeys(in: decoder)
        let container = try decoder.container(keyedBy: Field.self)
        let name = try container.decode(String.self, forKey: .name)
        guard let kind = StrategyKind(rawValue: name) else {
            throw DecodingError.dataCorruptedError(
                forKey: .name, in: container, debugDescription: Self.unknownStrategyMessage(name))
        }
        var weighting: Weighting?
        if let text = try container.decodeIfPresent(String.self, forKey: .weighting) {
            guard let value = Weighting(rawValue: text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .weighting, in: container,
                    debugDescription: "strategy.weighting must be \"records\" or \"uniform\", got \"\(text)\"")
            }
            weighting = value
        }
        self.init(
            kind,
            serverLearningRate: try container.decodeIfPresent(Double.self, forKey: .serverLearningRate),
            momentum: try container.decodeIfPresent(Double.self, forKey: .momentum),
            beta1: try container.decodeIfPresent(Double.self, forKey: .beta1),
            beta2: try container.decodeIfPresent(Double.self, forKey: .beta2),
            tau: try container.decodeIfPresent(Double.self, forKey: .tau),
            trimFraction: try container.decodeIfPresent(Double.self, forKey: .trimFraction),
            weighting: weighting,
            proximalMu: try container.decodeIfPresent(Double.self, forKey: .proximalMu))
    }

    /// Encodes the keyed form with the settings that were given (defaults stay implicit).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Field.self)
        try container.encode(kind.rawValue, forKey: .name)
        try container.encodeIfPresent(serverLearningRate, forKey: .serverLearningRate)
        try container.encodeIfPresent(momentum, forKey: .momentum)
        try container.encodeIfPresent(beta1, forKey: .beta1)
        try container.encodeIfPresent(beta2, forKey: .beta2)
        try container.encodeIfPresent(tau, forKey: .tau)
        try container.encodeIfPresent(trimFraction, forKey: .trimFraction)
        try container.encodeIfPresent(weighting?.rawValue, forKey: .weighting)
        try container.encodeIfPresent(proximalMu, forKey: .proximalMu)
    }

    private static func unknownStrategyMessage(_ name: String) -> String {
        let known = StrategyKind.allCases.map(\.rawValue).joined(separator: ", ")
        return "strategy.name: unknown strategy \"\(name)\"; known strategies: \(known)"
    }

    /// Throws for the first key of the keyed container that is not a `Field`.
    private static func rejectUnknownKeys(in decoder: any Decoder) throws {
        struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        let container = try decoder.container(keyedBy: AnyKey.self)
        let known = Field.allCases.map(\.rawValue)
        for key in container.allKeys where !known.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath + [key],
                    debugDescription: "unknown field strategy.\(key.stringValue); known fields: "
                        + known.joined(separator: ", ")))
        }
    }
}
