import Foundation

/// How long a certificate is valid: a number of days from the moment of signing.
///
/// `notBefore` is set five minutes before signing, so a party whose clock runs slightly behind
/// the CA's does not see a fresh certificate as "not yet valid".
public struct CertificateValidity: Sendable, Hashable, CustomStringConvertible {
    private enum Period: Hashable, Sendable {
        case days(Int)
        case between(Date, Date)
    }
    private let period: Period

    /// The allowance for clocks behind the CA's.
    static let clockSkewAllowance: TimeInterval = 5 * 60

    /// Valid for `days` days from signing.
    public static func days(_ days: Int) -> CertificateValidity { CertificateValidity(period: .days(days)) }

    /// Valid exactly from `notBefore` to `notAfter`, for tests that need expired or
    /// not-yet-valid certificates. Not public: operators choose a number of days.
    static func between(_ notBefore: Date, _ notAfter: Date) -> CertificateValidity {
        CertificateValidity(period: .between(notBefore, notAfter))
    }

    public var description: String {
        switch period {
        case .days(let days): return "\(days) days"
        case .between(let start, let end): return "\(start.formatted(.iso8601)) to \(end.formatted(.iso8601))"
        }
    }

    /// The dates for a certificate signed at `now`.
    ///
    /// - Throws: ``PKIError/Code-swift.struct/invalidValidity`` for fewer than one day,
    ///   or an end that is not after the start.
    func dates(signedAt now: Date) throws -> (notBefore: Date, notAfter: Date) {
        switch period {
        case .days(let days):
            guard days >= 1 && days <= 100 * 366 else {
                throw PKIError(code: .invalidValidity, message: "validity must be 1 to 36600 days, got \(days)")
            }
            return (now.addingTimeInterval(-Self.clockSkewAllowance), now.addingTimeInterval(TimeInterval(days) * 86_400))
        case .between(let start, let end):
            guard end > start else {
                throw PKIError(code: .invalidValidity, message: "validity ends (\(end)) before it starts (\(start))")
            }
            return (start, end)
        }
    }
}
