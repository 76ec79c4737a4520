import Foundation

extension Plan {
    /// Which sites take part in each round (`sampling:`).
    ///
    /// ```yaml
    /// sampling:
    ///   per_round: all          # all | a count (5) | a fraction (0.3)
    ///   minimum: 1              # a round with fewer answers fails
    ///   deadline_seconds: 600   # a site that has not answered by then is dropped from the round
    /// ```
    public struct Sampling: Sendable, Hashable, Codable {
        /// How many sites are asked each round.
        public enum PerRound: Sendable, Hashable, Codable, CustomStringConvertible {
            /// Every site, every round.
            case all
            /// This many sites, drawn uniformly without replacement.
            case count(Int)
            /// This fraction of the sites, rounded up, in (0, 1].
            case fraction(Double)

            /// Reads `all`, a whole number (a count) or a number with a point or exponent
            /// (a fraction): `5` asks five sites, `0.5` half of them, `1.0` all of them.
            public init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                let text = try container.decode(String.self).trimmingCharacters(in: .whitespaces)
                let field = planFieldPath(decoder.codingPath)
                if text == "all" {
                    self = .all
                } else if let count = Int(text) {
                    self = .count(count)
                } else if let fraction = Double(text), fraction.isFinite {
                    self = .fraction(fraction)
                } else {
                    throw PlanError(
                        .invalidValue, field: field,
                        "must be 'all', a count of sites (e.g. 5) or a fraction of them (e.g. 0.3), got '\(text)'")
                }
            }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                switch self {
                case .all: try container.encode("all")
                case .count(let count): try container.encode(count)
                case .fraction(let fraction): try container.encode(fraction)
                }
            }

            /// `all`, `5` or `0.3`.
            public var description: String {
                switch self {
                case .all: "all"
                case .count(let count): "\(count)"
                case .fraction(let fraction): "\(fraction)"
                }
            }
        }

        /// Sites asked per round; default `all`.
        public var perRound: PerRound
        /// The fewest sites that must answer for the round to count; default 1. Sites that
        /// fail or miss the deadline are dropped from the round, and the round fails clearly
        /// when fewer than this many answered.
        public var minimum: Int
        /// Seconds a round waits for its sites; default 600.
        public var deadlineSeconds: Double

        /// Sampling settings; the defaults ask every site and need one answer within 600 s.
        public init(perRound: PerRound = .all, minimum: Int = 1, deadlineSeconds: Double = 600) {
            self.perRound = perRound
            self.minimum = minimum
            self.deadlineSeconds = deadlineSeconds
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case perRound = "per_round"
            case minimum
            case deadlineSeconds = "deadline_seconds"
        }

        public init(from decoder: any Decoder) throws {
            let fields = try PlanFields(decoder, known: CodingKeys.allCases.map(\.rawValue))
            let defaults = Sampling()
            perRound = try fields.optional("per_round") ?? defaults.perRound
            minimum = try fields.optional("minimum") ?? defaults.minimum
            deadlineSeconds = try fields.optional("deadline_seconds") ?? defaults.deadlineSeconds
        }
    }
}
