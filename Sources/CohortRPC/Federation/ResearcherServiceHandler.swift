import Foundation
import GRPCCore

/// `ResearcherService` as the orchestrator serves it; the submitter is the name in the
/// caller's certificate.
public struct ResearcherServiceHandler: Cohort_V1_ResearcherService.SimpleServiceProtocol {
    let orchestrator: Orchestrator

    public init(orchestrator: Orchestrator) {
        self.orchestrator = orchestrator
    }

    public func submitRun(request: Cohort_V1_SubmitRunRequest, context: ServerContext) async throws -> Cohort_V1_SubmitRunResponse {
        let researcher = try context.requirePeer([.researcher]).name
        let (runID, planHash) = try await orchestrator.submit(
            planYAML: request.planYaml, modelYAML: request.modelYaml, schemaJSON: request.schemaJson, submittedBy: researcher)
        return .with {
            $0.runID = runID
            $0.planHash = planHash
        }
    }

    public func watchRun(request: Cohort_V1_WatchRunRequest, response: RPCWriter<Cohort_V1_RunEvent>, context: ServerContext) async throws {
        _ = try context.requirePeer([.researcher])
        let (watcher, events) = try await orchestrator.watch(runID: request.runID, fromRound: Int(request.fromRound))
        try await withRPCCancellationHandler {
            for await event in events { try await response.write(event) }
        } onCancelRPC: {
            Task { await orchestrator.unwatch(runID: request.runID, watcher: watcher) }
        }
    }

    public func listRuns(request: Cohort_V1_ListRunsRequest, context: ServerContext) async throws -> Cohort_V1_ListRunsResponse {
        _ = try context.requirePeer([.researcher])
        let runs = await orchestrator.list()
        return .with { $0.runs = runs }
    }

    public func fetchModel(request: Cohort_V1_FetchModelRequest, response: RPCWriter<Cohort_V1_ModelChunk>, context: ServerContext) async throws {
        _ = try context.requirePeer([.researcher])
        let data = try await orchestrator.model(runID: request.runID)
        try await response.write(.with {
            $0.header = .with { $0.runID = request.runID; $0.fileBytes = UInt64(data.count) }
        })
        for chunk in WirePayload.chunks(of: data, size: orchestrator.options.limits.chunkBytes) {
            try await response.write(.with { $0.data = chunk })
        }
        try await response.write(.with {
            $0.trailer = .with { $0.payloadBytes = UInt64(data.count); $0.sha256 = WirePayload.sha256(data) }
        })
    }

    public func cancelRun(request: Cohort_V1_CancelRunRequest, context: ServerContext) async throws -> Cohort_V1_CancelRunResponse {
        _ = try context.requirePeer([.researcher])
        let state = try await orchestrator.cancel(runID: request.runID, reason: request.reason)
        return .with { $0.state = state }
    }
}
