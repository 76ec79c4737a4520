import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// What `cohort run` and `cohort runs` call: the researcher's service over mutual TLS.
public struct ResearcherClient: Sendable {
    public var host: String
    public var port: Int
    public var credentials: PartyCredentials
    public var limits: MessageLimits

    public init(host: String, port: Int, credentials: PartyCredentials, limits: MessageLimits = .default) {
        self.host = host
        self.port = port
        self.credentials = credentials
        self.limits = limits
    }

    /// One connection for `body`'s calls.
    public func connect<T: Sendable>(_ body: @Sendable (Connection) async throws -> T) async throws -> T {
        let transport = try HTTP2ClientTransport.Posix.mutualTLS(host: host, port: port, credentials: credentials, limits: limits)
        return try await withGRPCClient(transport: transport) { client in
            try await body(Connection(service: Cohort_V1_ResearcherService.Client(wrapping: client)))
        }
    }

    public struct Connection: Sendable {
        let service: Cohort_V1_ResearcherService.Client<HTTP2ClientTransport.Posix>

        static var unaryOptions: CallOptions {
            var options = CallOptions.defaults
            options.timeout = .seconds(60)
            return options
        }

        /// Queues the plan; returns the run's id and the plan's hash.
        public func submit(planYAML: String, modelYAML: String, schemaJSON: String) async throws -> Cohort_V1_SubmitRunResponse {
            try await service.submitRun(
                .with { $0.planYaml = planYAML; $0.modelYaml = modelYAML; $0.schemaJson = schemaJSON }, options: Self.unaryOptions)
        }

        /// Streams the run's events to `onEvent` until the run finishes; returns its end.
        public func watch(runID: String, fromRound: Int = 0,
                          onEvent: @escaping @Sendable (Cohort_V1_RunEvent) async throws -> Void) async throws -> Cohort_V1_RunFinished? {
            try await service.watchRun(.with { $0.runID = runID; $0.fromRound = UInt32(fromRound) }) { response in
                var finished: Cohort_V1_RunFinished?
                for try await event in response.messages {
                    try await onEvent(event)
                    if case .finished(let end)? = event.kind { finished = end }
                }
                return finished
            }
        }

        public func list() async throws -> [Cohort_V1_RunSummary] {
            try await service.listRuns(.init(), options: Self.unaryOptions).runs
        }

        /// The run's model file, checked against its size and SHA-256.
        public func fetchModel(runID: String) async throws -> Data {
            try await service.fetchModel(.with { $0.runID = runID }) { response in
                var data = Data()
                var expected: UInt64?
                var trailer: Cohort_V1_PayloadTrailer?
                for try await chunk in response.messages {
                    switch chunk.part {
                    case .header(let header): expected = header.fileBytes
                    case .data(let bytes): data.append(bytes)
                    case .trailer(let end): trailer = end
                    case nil: break
                    }
                }
                guard let trailer, expected == UInt64(data.count), trailer.payloadBytes == UInt64(data.count),
                      trailer.sha256 == WirePayload.sha256(data)
                else { throw WireError("the model of \(runID) arrived incomplete or damaged (size or SHA-256 mismatch)") }
                return data
            }
        }

        public func cancel(runID: String, reason: String) async throws -> Cohort_V1_RunState {
            try await service.cancelRun(.with { $0.runID = runID; $0.reason = reason }, options: Self.unaryOptions).state
        }
    }
}
