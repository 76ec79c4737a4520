import CohortFederation
import Foundation
import GRPCCore

/// `SiteService` as the orchestrator serves it. The caller's site id is the name in its
/// certificate (`RoleAuthorization` has checked the role already); no message names a site.
public struct SiteServiceHandler: Cohort_V1_SiteService.SimpleServiceProtocol {
    let orchestrator: Orchestrator
    let registry: SiteRegistry
    let log: @Sendable (String) -> Void

    public init(orchestrator: Orchestrator, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.orchestrator = orchestrator
        self.registry = orchestrator.registry
        self.log = log
    }

    public func register(request: Cohort_V1_RegisterRequest, context: ServerContext) async throws -> Cohort_V1_RegisterResponse {
        let site = try context.requirePeer([.site]).name
        log("site \(site) registered (cohort \(request.softwareVersion))")
        return .with {
            $0.siteID = site
            $0.orchestratorVersion = CohortVersion.current
            $0.heartbeatIntervalSeconds = UInt32(orchestrator.options.heartbeatSeconds)
        }
    }

    public func heartbeat(request: Cohort_V1_HeartbeatRequest, context: ServerContext) async throws -> Cohort_V1_HeartbeatResponse {
        let site = try context.requirePeer([.site]).name
        await registry.heard(from: site)
        return .with {
            $0.siteID = site
            $0.serverTimeUnixMs = Int64(Date().timeIntervalSince1970 * 1000)
        }
    }

    public func tasks(request: Cohort_V1_TasksRequest, response: RPCWriter<Cohort_V1_Task>, context: ServerContext) async throws {
        let site = try context.requirePeer([.site]).name
        let (session, tasks) = await registry.open(site: site)
        log("site \(site) connected")
        do {
            // gRPC reports a dropped connection through the RPC's cancellation handler, not by
            // cancelling this task: closing the session ends the loop and fails the site's tasks.
            try await withRPCCancellationHandler {
                for await task in tasks { try await response.write(task) }
            } onCancelRPC: {
                Task { await registry.close(site: site, session: session, reason: "the site's connection closed") }
            }
        } catch {
            await registry.close(site: site, session: session, reason: "the task stream broke: \(error)")
            log("site \(site) disconnected")
            throw error
        }
        await registry.close(site: site, session: session)
        log("site \(site) disconnected")
    }

    public func submitUpdate(
        request: RPCAsyncSequence<Cohort_V1_UpdateChunk, any Error>, context: ServerContext
    ) async throws -> Cohort_V1_UpdateReceipt {
        let site = try context.requirePeer([.site]).name
        var header: Cohort_V1_UpdateHeader?
        var expectation: SiteRegistry.UpdateExpectation?
        // The update's floats, decoded and hashed as its chunks arrive.
        var payload = WirePayload.Assembler(expectedBytes: 0)
        var trailer: Cohort_V1_PayloadTrailer?
        var problem: String?
        for try await chunk in request {
            guard problem == nil else { continue }
            switch chunk.part {
            case .header(let value):
                guard header == nil else { problem = "a second header"; continue }
                header = value
                expectation = try await registry.expectation(forUpdate: value.taskID, from: site)
                payload = WirePayload.Assembler(expectedBytes: Int(expectation?.manifest.payloadBytes ?? 0))
            case .payload(let bytes):
                guard let expectation, trailer == nil else { problem = "payload before the header or after the trailer"; continue }
                guard payload.byteCount + bytes.count <= Int(expectation.manifest.payloadBytes) else {
                    problem = "oversized: more than the model's \(expectation.manifest.payloadBytes) bytes"
                    continue
                }
                payload.append(bytes)
            case .trailer(let value):
                guard header != nil, trailer == nil else { problem = "a trailer before the header, or twice"; continue }
                trailer = value
            case nil:
                problem = "an empty chunk"
            }
        }
        guard let header, let expectation else {
            throw RPCError(code: .invalidArgument, message: "an update starts with its header")
        }
        let reason = problem ?? Self.check(header: header, payload: payload, trailer: trailer, expectation: expectation)
        var update: SiteUpdate?
        var finalReason = reason
        if reason == nil, let values = payload.finished() {
            let made = SiteUpdate(
                delta: values, records: Int(clamping: header.records), steps: Int(clamping: header.steps),
                trainingLoss: header.trainingLoss, siteEpsilon: header.hasSiteEpsilon ? header.siteEpsilon : nil,
                unclippedSignal: header.hasUnclippedSignal ? header.unclippedSignal : nil,
                auditHead: header.hasAuditHead ? header.auditHead.decoded : nil)
            finalReason = RoundEngine.problem(with: made, parameterCount: expectation.parameterCount, privacy: expectation.privacy)
            update = made
        }
        if let finalReason {
            log("rejected the update of \(site) for \(header.taskID): \(finalReason)")
            try await registry.reject(header.taskID, from: site, reason: "update rejected: \(finalReason)")
        } else if let update {
            try await registry.answer(header.taskID, from: site, .update(update))
        }
        return .with {
            $0.taskID = header.taskID
            $0.payloadBytes = UInt64(payload.byteCount)
            $0.accepted = finalReason == nil
            $0.rejectionReason = finalReason ?? ""
        }
    }

    /// Why an assembled update cannot be used (framing, layout, checksum), or nil.
    static func check(header: Cohort_V1_UpdateHeader, payload: WirePayload.Assembler, trailer: Cohort_V1_PayloadTrailer?,
                      expectation: SiteRegistry.UpdateExpectation) -> String? {
        guard header.runID == expectation.runID, Int(header.round) == expectation.round else {
            return "the header names run \(header.runID) round \(header.round), the task is run \(expectation.runID) round \(expectation.round)"
        }
        guard header.manifest.tensors == expectation.manifest.tensors else {
            return "the update's tensor layout differs from the global model's"
        }
        guard let trailer else { return "no trailer: the upload ended early" }
        guard trailer.payloadBytes == UInt64(payload.byteCount) else {
            return "the trailer counts \(trailer.payloadBytes) bytes, \(payload.byteCount) arrived"
        }
        guard trailer.sha256 == payload.sha256 else { return "checksum mismatch" }
        guard UInt64(payload.byteCount) == expectation.manifest.payloadBytes else {
            return "\(payload.byteCount) bytes, the model has \(expectation.manifest.payloadBytes)"
        }
        return nil
    }

    public func submitEvaluation(request: Cohort_V1_EvaluationResult, context: ServerContext) async throws -> Cohort_V1_SubmissionReceipt {
        try await deliver(request.taskID, what: "evaluation", context: context) { .evaluation(try request.decoded()) }
    }

    public func submitAggregates(request: Cohort_V1_AggregatesResult, context: ServerContext) async throws -> Cohort_V1_SubmissionReceipt {
        try await deliver(request.taskID, what: "aggregates", context: context) { .aggregates(try request.decoded()) }
    }

    /// Hands the caller's answer to `taskID` to the registry; an answer that does not decode
    /// fails the task (the round drops the site with the reason) and is refused in the receipt.
    private func deliver(
        _ taskID: String, what: String, context: ServerContext, decode: () throws -> SiteRegistry.Answer
    ) async throws -> Cohort_V1_SubmissionReceipt {
        let site = try context.requirePeer([.site]).name
        do {
            try await registry.answer(taskID, from: site, try decode())
        } catch let error as WireError {
            try await registry.reject(taskID, from: site, reason: "\(what) rejected: \(error)")
            return .with { $0.taskID = taskID; $0.accepted = false; $0.rejectionReason = error.message }
        }
        return .with { $0.taskID = taskID; $0.accepted = true }
    }

    public func refuseTask(request: Cohort_V1_Refusal, context: ServerContext) async throws -> Cohort_V1_SubmissionReceipt {
        let site = try context.requirePeer([.site]).name
        try await registry.refuse(request.taskID, from: site, reasons: request.reasons, auditHead: request.sentAuditHead)
        return .with { $0.taskID = request.taskID; $0.accepted = true }
    }
}

/// The version every party reports.
public enum CohortVersion {
    public static let current = "0.1.0"
}
