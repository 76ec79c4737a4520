import GRPCCore

/// A server interceptor that admits a call only if the caller's certificate has a role
/// allowed for the service: "a site certificate cannot submit a run; a researcher
/// certificate cannot submit an update".
///
/// Services not listed are refused (deny by default). Handlers still read the caller with
/// ``GRPCCore/ServerContext/peerIdentity`` to know which site or researcher is calling.
public struct RoleAuthorization: ServerInterceptor {
    /// Roles allowed per fully qualified service name (`cohort.v1.SiteService`).
    public let allowedRoles: [String: Set<PartyRole>]

    /// Creates an interceptor from roles per service.
    public init(allowedRoles: [ServiceDescriptor: Set<PartyRole>]) {
        var byName: [String: Set<PartyRole>] = [:]
        for (service, roles) in allowedRoles { byName[service.fullyQualifiedService] = roles }
        self.allowedRoles = byName
    }

    /// Cohort's rule: sites call `SiteService`, researchers call `ResearcherService`.
    public static let federation = RoleAuthorization(allowedRoles: [
        Cohort_V1_SiteService.descriptor: [.site],
        Cohort_V1_ResearcherService.descriptor: [.researcher],
    ])

    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let service = context.descriptor.service.fullyQualifiedService
        guard let roles = allowedRoles[service], !roles.isEmpty else {
            throw RPCError(code: .permissionDenied, message: "no party may call \(service) on this server")
        }
        _ = try context.requirePeer(roles)
        return try await next(request, context)
    }
}
