import Crypto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Synchronization
import Testing

@testable import CohortRPC

/// A federation PKI for transport tests, in a temporary directory: the federation CA, an
/// orchestrator (SAN IP 127.0.0.1), a site, a researcher, and a site certificate from a
/// second, foreign CA that trusts the real CA (so only the orchestrator's check can stop it).
struct TransportPKI {
    let root: URL
    let orchestrator: PartyCredentials
    let site: PartyCredentials
    let researcher: PartyCredentials
    let foreignSite: PartyCredentials

    var caCertificate: URL { root.appendingPathComponent("pki/\(FederationCA.certificateFileName)") }

    init(root: URL) throws {
        self.root = root
        let caDirectory = root.appendingPathComponent("pki")
        try FederationCA.initialize(directory: caDirectory, name: "transport-test")
        let foreignCADirectory = root.appendingPathComponent("foreign-pki")
        try FederationCA.initialize(directory: foreignCADirectory, name: "elsewhere")

        func issue(_ role: PartyRole, _ name: String, hosts: [String] = [], by ca: URL) throws -> PartyCredentials {
            let directory = root.appendingPathComponent("parties/\(name)")
            let request = try CertificateRequest.create(role: role, name: name, outputDirectory: directory, hosts: hosts)
            try FederationCA.sign(requestAt: request.requestURL, caDirectory: ca)
            return try PartyCredentials(
                directory: directory, name: name,
                federationCA: caDirectory.appendingPathComponent(FederationCA.certificateFileName))
        }
        orchestrator = try issue(.orchestrator, "orchestrator", hosts: ["127.0.0.1", "localhost"], by: caDirectory)
        site = try issue(.site, "hospital-a", by: caDirectory)
        researcher = try issue(.researcher, "dr-lee", by: caDirectory)
        foreignSite = try issue(.site, "hospital-x", by: foreignCADirectory)
    }
}

/// Runs `body` with a fresh ``TransportPKI`` in a temporary directory that is removed afterwards.
@discardableResult
func withTransportPKI<T>(_ body: (TransportPKI) async throws -> T) async throws -> T {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-transport-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: root) }
    return try await body(try TransportPKI(root: root))
}

struct TransportTimeout: Error, CustomStringConvertible {
    let what: String
    let seconds: Int
    var description: String { "\(what) did not finish within \(seconds) s" }
}

/// Runs `body`, failing with ``TransportTimeout`` if it takes longer than `seconds`.
func withTimeout<T: Sendable>(
    seconds: Int, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw TransportTimeout(what: what, seconds: seconds)
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw TransportTimeout(what: what, seconds: seconds) }
        return first
    }
}

/// What the test server saw: callers' identities, refused certificates, uploads.
final class ServerRecord: Sendable {
    struct Upload: Sendable {
        var header: Cohort_V1_UpdateHeader?
        var payloadBytes = 0
        var chunks = 0
        /// SHA-256 of the payload as the server received it.
        var digest: [UInt8] = []
    }

    private struct State {
        var callers: [PartyIdentity] = []
        var refusals: [PKIError] = []
        var uploads: [Upload] = []
    }

    private let state = Mutex(State())

    var callers: [PartyIdentity] { state.withLock { $0.callers } }
    var refusals: [PKIError] { state.withLock { $0.refusals } }
    var uploads: [Upload] { state.withLock { $0.uploads } }

    func record(caller: PartyIdentity) { state.withLock { $0.callers.append(caller) } }
    func record(refusal: PKIError) { state.withLock { $0.refusals.append(refusal) } }
    func record(upload: Upload) { state.withLock { $0.uploads.append(upload) } }
}

/// A `SiteService` with two real handlers: `Heartbeat` answers with the caller's name from its
/// certificate, `SubmitUpdate` hashes the streamed payload and checks it against the trailer.
struct EchoSiteService: Cohort_V1_SiteService.SimpleServiceProtocol {
    let record: ServerRecord

    func heartbeat(
        request: Cohort_V1_HeartbeatRequest, context: ServerContext
    ) async throws -> Cohort_V1_HeartbeatResponse {
        let caller = try context.peerIdentity
        record.record(caller: caller)
        return .with {
            $0.siteID = caller.name
            $0.serverTimeUnixMs = Int64(Date().timeIntervalSince1970 * 1000)
        }
    }

    func submitUpdate(
        request: RPCAsyncSequence<Cohort_V1_UpdateChunk, any Error>, context: ServerContext
    ) async throws -> Cohort_V1_UpdateReceipt {
        let caller = try context.peerIdentity
        record.record(caller: caller)
        var upload = ServerRecord.Upload()
        var hasher = SHA256()
        var trailer: Cohort_V1_PayloadTrailer?
        for try await chunk in request {
            switch chunk.part {
            case .header(let header)?:
                guard upload.header == nil, upload.chunks == 0 else {
                    throw RPCError(code: .invalidArgument, message: "the header must come first, once")
                }
                upload.header = header
            case .payload(let bytes)?:
                guard upload.header != nil, trailer == nil else {
                    throw RPCError(code: .invalidArgument, message: "payload outside header…trailer")
                }
                hasher.update(data: bytes)
                upload.payloadBytes += bytes.count
                upload.chunks += 1
            case .trailer(let last)?:
                trailer = last
            case nil:
                throw RPCError(code: .invalidArgument, message: "an empty chunk")
            }
        }
        upload.digest = Array(hasher.finalize())
        record.record(upload: upload)
        let intact = trailer.map { Array($0.sha256) == upload.digest && Int($0.payloadBytes) == upload.payloadBytes }
        return .with {
            $0.taskID = upload.header?.taskID ?? ""
            $0.payloadBytes = UInt64(upload.payloadBytes)
            $0.accepted = intact == true
            if intact != true { $0.rejectionReason = trailer == nil ? "no trailer" : "checksum mismatch" }
        }
    }

    func register(request: Cohort_V1_RegisterRequest, context: ServerContext) async throws -> Cohort_V1_RegisterResponse {
        throw RPCError(code: .unimplemented, message: "test stub")
    }

    func tasks(request: Cohort_V1_TasksRequest, response: RPCWriter<Cohort_V1_Task>, context: ServerContext) async throws {
        throw RPCError(code: .unimplemented, message: "test stub")
    }

    func submitEvaluation(request: Cohort_V1_EvaluationResult, context: ServerContext) async throws -> Cohort_V1_SubmissionReceipt {
        throw RPCError(code: .unimplemented, message: "test stub")
    }

    func submitAggregates(request: Cohort_V1_AggregatesResult, context: ServerContext) async throws -> Cohort_V1_SubmissionReceipt {
        throw RPCError(code: .unimplemented, message: "test stub")
    }

    func refuseTask(request: Cohort_V1_Refusal, context: ServerContext) async throws -> Cohort_V1_SubmissionReceipt {
        throw RPCError(code: .unimplemented, message: "test stub")
    }
}

/// Starts an mTLS orchestrator transport on 127.0.0.1 with a port the system picks, serving
/// ``EchoSiteService`` behind ``RoleAuthorization/federation``; runs `body` with the bound
/// port; shuts the server down gracefully when `body` returns or throws.
func withEchoServer<T: Sendable>(
    pki: TransportPKI, record: ServerRecord, limits: MessageLimits = .default,
    _ body: (Int) async throws -> T
) async throws -> T {
    let transport = try HTTP2ServerTransport.Posix.mutualTLS(
        host: "127.0.0.1", port: 0, credentials: pki.orchestrator, limits: limits,
        onRefusal: { record.record(refusal: $0) })
    return try await withGRPCServer(
        transport: transport, services: [EchoSiteService(record: record)], interceptors: [RoleAuthorization.federation]
    ) { server in
        guard let port = try await server.listeningAddress?.ipv4?.port else {
            throw RPCError(code: .internalError, message: "the server is not listening on IPv4")
        }
        return try await body(port)
    }
}

/// Runs `body` with a `SiteService` client over `transport`, closing the client afterwards.
func withSiteClient<T: Sendable>(
    _ transport: HTTP2ClientTransport.Posix, _ body: (Cohort_V1_SiteService.Client<HTTP2ClientTransport.Posix>) async throws -> T
) async throws -> T {
    try await withGRPCClient(transport: transport) { client in
        try await body(Cohort_V1_SiteService.Client(wrapping: client))
    }
}

/// Call options for test calls: a deadline, so no call can hang a test. It only guards
/// against a hang: no test expects it to fire, and 10 s was exceeded by TLS handshakes on
/// 2 cores busy with a build beside the tests.
let testCallOptions: CallOptions = {
    var options = CallOptions.defaults
    options.timeout = .seconds(60)
    return options
}()

/// Call options for large uploads: debug builds on 2 cores, with the end-to-end tests' processes
/// running beside them, can take well over 10 s for 20 MiB over TLS.
let slowCallOptions: CallOptions = {
    var options = CallOptions.defaults
    options.timeout = .seconds(120)
    return options
}()

/// The `RPCError` that `body` throws, or a recorded issue.
func rpcError(
    _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) async -> RPCError? {
    do {
        try await body()
        Issue.record("expected the call to fail", sourceLocation: sourceLocation)
    } catch let error as RPCError {
        return error
    } catch {
        Issue.record("expected an RPCError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
