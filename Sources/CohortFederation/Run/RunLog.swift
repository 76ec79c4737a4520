import Foundation

/// The events of the orchestrator's `runs.log` and the state they add up to.
///
/// Each line is an `AuditEntry` (the site audit log's format: `seq`, `time`, `event`,
/// `details`, the SHA-256 `prev` of the line before and the `hash` of its own content):
///
/// | event | details |
/// |---|---|
/// | `run_submitted` | `run`, `submission` (a `RunSubmission`) |
/// | `run_started` | `run`, `after_round` (0, or the round a restarted run resumes after) |
/// | `round_completed` | `run`, `round`, `record` (a `RoundRecord`), `checkpoint` (the SHA-256 a `checkpoint.bin` ends with; of the whole file for the JSON checkpoints of earlier versions) |
/// | `site_refused` | `run`, `site`, `round`, `reasons`; `audit_head` (an `AuditHead`) or `audit_head_dropped` (why) when the site sent a head |
/// | `run_finished` | `run`, `state`, `message`, `model` (SHA-256 of the file, or null) |
///
/// The store changes its state only through `apply(_:)`, on replay and live alike, so what
/// it reports after a restart is what it reported before.
struct RunLog {
    static let submitted: AuditEvent = "run_submitted"
    static let started: AuditEvent = "run_started"
    static let roundCompleted: AuditEvent = "round_completed"
    static let siteRefused: AuditEvent = "site_refused"
    static let finished: AuditEvent = "run_finished"

    /// A change the log cannot take, and which `RunStoreError` code it is when made live.
    struct Problem: Error {
        var code: RunStoreError.Code
        var detail: String
        init(_ code: RunStoreError.Code, _ detail: String) {
            self.code = code
            self.detail = detail
        }
    }

    /// Every run by id.
    private(set) var runs: [String: StoredRun] = [:]
    /// Run ids in order of submission.
    private(set) var order: [String] = []
    /// The largest number in a run id so far (`run-0007-3fa9c2d1` → 7).
    private(set) var lastNumber = 0
    /// This store's token, the last part of its run ids: drawn at random for the first run
    /// and kept for the store's life. Sites key their privacy ledgers by run id, so ids must
    /// not repeat across orchestrators, or after a state directory is started afresh.
    private(set) var token: String?

    /// The id the next submission gets: `run-NNNN-TOKEN`.
    var nextID: String {
        let token = self.token ?? String(format: "%08x", UInt32.random(in: .min ... .max))
        return String(format: "run-%04d-", lastNumber + 1) + token
    }

    /// Applies one line's event.
    ///
    /// - Throws: `Problem` when the event is unknown, its details are missing or malformed,
    ///   or it does not fit the run's state.
    mutating func apply(_ entry: AuditEntry) throws(Problem) {
        let details = entry.details
        let id = try Self.field("run", of: details, as: String.self)
        if entry.event == Self.submitted {
            guard runs[id] == nil else { throw Problem(.invalidChange, "run \(id) was already submitted") }
            guard let number = Self.number(ofRunID: id) else {
                throw Problem(.invalidChange, "\"\(id)\" is not a run id (run- and a number)")
            }
            guard let submitted = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(entry.time) else {
                throw Problem(.invalidChange, "time \(entry.time) is not an ISO 8601 date with milliseconds")
            }
            runs[id] = StoredRun(
                id: id, submission: try Self.field("submission", of: details, as: RunSubmission.self), submitted: submitted,
                state: .queued, roundsCompleted: 0, history: [], refusals: [], message: nil)
            order.append(id)
            lastNumber = max(lastNumber, number)
            if token == nil, let dash = id.lastIndex(of: "-"), id.filter({ $0 == "-" }).count == 2 {
                token = String(id[id.index(after: dash)...])
            }
            return
        }
        guard var run = runs[id] else { throw Problem(.unknownRun, "no run has the id \(id)") }
        switch entry.event {
        case Self.started:
            guard !run.state.isFinished else { throw Problem(.invalidChange, "run \(id) has ended (\(run.state.rawValue)), it cannot start") }
            run.state = .running
        case Self.roundCompleted:
            guard run.state == .running else {
                throw Problem(.invalidChange, "run \(id) is \(run.state.rawValue), not running: it cannot complete a round")
            }
            let round = try Self.field("round", of: details, as: Int.self)
            guard round == run.roundsCompleted + 1 else {
                throw Problem(.invalidChange, "run \(id) completed round \(run.roundsCompleted), so the next is \(run.roundsCompleted + 1), not \(round)")
            }
            let record = try Self.field("record", of: details, as: RoundRecord.self)
            guard record.round == round else {
                throw Problem(.invalidChange, "the record of round \(round) of run \(id) says round \(record.round)")
            }
            run.roundsCompleted = round
            run.history.append(record)
            run.checkpointHash = try Self.field("checkpoint", of: details, as: String.self)
            run.checkpointLine = entry.seq
        case Self.siteRefused:
            guard !run.state.isFinished else { throw Problem(.invalidChange, "run \(id) has ended (\(run.state.rawValue))") }
            var refusal = RunRefusal(
                site: try Self.field("site", of: details, as: String.self), round: try Self.field("round", of: details, as: Int.self),
                reasons: try Self.field("reasons", of: details, as: [String].self),
                sentHead: try Self.optionalField("audit_head", of: details, as: AuditHead.self))
            if let dropped = try Self.optionalField("audit_head_dropped", of: details, as: String.self) {
                refusal.droppedAuditHead = dropped
            }
            run.refusals.append(refusal)
        case Self.finished:
            guard !run.state.isFinished else {
                throw Problem(.invalidChange, "run \(id) has already ended (\(run.state.rawValue))")
            }
            let state = try Self.field("state", of: details, as: RunState.self)
            guard state.isFinished else { throw Problem(.invalidChange, "a run cannot finish as \(state.rawValue)") }
            run.state = state
            run.message = try Self.optionalField("message", of: details, as: String.self)
            run.modelHash = try Self.optionalField("model", of: details, as: String.self)
        default:
            throw Problem(.invalidChange, "unknown event \(entry.event)")
        }
        runs[id] = run
    }

    /// 7 for `run-0007`; nil for anything else.
    /// The number of a run id, `run-NNNN-TOKEN` (or `run-NNNN`, as early stores wrote them).
    static func number(ofRunID id: String) -> Int? {
        guard id.hasPrefix("run-") else { return nil }
        let parts = id.dropFirst(4).split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let number = Int(parts[0]), number > 0, !parts[0].hasPrefix("+"),
              parts.count == 1 || (!parts[1].isEmpty && parts[1].allSatisfy(\.isHexDigit))
        else { return nil }
        return number
    }

    private static func field<T: Decodable>(_ key: String, of details: [String: AuditValue], as type: T.Type) throws(Problem) -> T {
        guard let value = details[key] else { throw Problem(.invalidChange, "the event has no \"\(key)\"") }
        do {
            return try value.decoded(as: T.self)
        } catch {
            throw Problem(.invalidChange, "\"\(key)\" is not a valid \(T.self): \(error)")
        }
    }

    private static func optionalField<T: Decodable>(_ key: String, of details: [String: AuditValue], as type: T.Type) throws(Problem) -> T? {
        guard let value = details[key], value != .null else { return nil }
        return try field(key, of: details, as: T.self)
    }
}

extension AuditValue {
    /// `value` as JSON, as an audit value (non-finite numbers as `"inf"`, `"-inf"`, `"nan"`).
    init(encoding value: some Encodable) throws {
        let data = try Self.jsonEncoder().encode(value)
        self = try Self.jsonDecoder().decode(AuditValue.self, from: data)
    }

    /// The value decoded as `T` (read back from what `init(encoding:)` wrote).
    func decoded<T: Decodable>(as type: T.Type) throws -> T {
        try Self.jsonDecoder().decode(T.self, from: Self.jsonEncoder().encode(self))
    }

    static func jsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static func jsonDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
