import GRPCCore
import GRPCNIOTransportHTTP2Posix

extension HTTP2ServerTransport.Posix {
    /// The orchestrator's listening transport: HTTP/2 over mutual TLS, accepting only clients
    /// whose certificate the federation CA signed.
    ///
    /// - The server presents `credentials` (an orchestrator certificate, which carries
    ///   `serverAuth` and the host names and addresses it is reached at).
    /// - A client certificate is required: a client without one fails the handshake
    ///   (BoringSSL's `SSL_VERIFY_FAIL_IF_NO_PEER_CERT`).
    /// - The client's chain is verified by ``PartyIdentity/verify(certificateDER:trustedCA:allowing:purpose:now:source:)``
    ///   with purpose `clientAuth`: signed by the federation CA (the only trust root), within its
    ///   validity, naming one Cohort party whose role is in `roles`. A refused certificate is
    ///   reported to `onRefusal` with the reason and the certificate's name and serial; the
    ///   client sees only a failed handshake.
    /// - ALPN `h2` is required, and no message larger than `limits.maxMessageBytes` is accepted.
    ///
    /// Handlers read the caller's identity with ``GRPCCore/ServerContext/peerIdentity``; the
    /// role per service is checked by ``RoleAuthorization``. Pass port 0 to let the system pick
    /// a free port, then read `listeningAddress` once the server runs.
    ///
    /// - Parameters:
    ///   - host: an IPv4 or IPv6 address to bind (`0.0.0.0` for all interfaces).
    ///   - port: the TCP port, or 0.
    ///   - credentials: the orchestrator's certificate, key and the federation CA.
    ///   - roles: the roles allowed to connect at all; sites and researchers by default.
    ///   - limits: the largest message accepted.
    ///   - onRefusal: called (from a background task) with each refused client certificate.
    /// - Throws: ``TransportConfigurationError`` if the credentials are not an orchestrator's,
    ///   the host is not an IP address, or the limits are inconsistent.
    public static func mutualTLS(
        host: String, port: Int, credentials: PartyCredentials,
        accepting roles: Set<PartyRole> = [.site, .researcher], limits: MessageLimits = .default,
        onRefusal: @escaping @Sendable (PKIError) -> Void = { _ in }
    ) throws -> HTTP2ServerTransport.Posix {
        try limits.validate()
        guard credentials.identity.role == .orchestrator else {
            throw TransportConfigurationError(
                field: "server certificate",
                message: "\(credentials.identity) cannot serve: only an orchestrator certificate carries serverAuth")
        }
        let address = try NetworkAddress(host: host, port: port, field: "listen address")
        let socketAddress: GRPCNIOTransportCore.SocketAddress
        switch address.host {
        case .ipv4(let ip): socketAddress = .ipv4(host: ip, port: port)
        case .ipv6(let ip): socketAddress = .ipv6(host: ip, port: port)
        case .dns(let name):
            throw TransportConfigurationError(
                field: "listen address", message: "'\(name)' is a name; listen on an IP address such as 0.0.0.0")
        }
        let verifier = try PeerCertificateVerifier(
            credentials: credentials, roles: roles, purpose: .clientAuthentication, source: "TLS client",
            onRefusal: onRefusal)

        let security = TransportSecurity.mTLS(
            certificateChain: [.bytes(credentials.certificateChainPEM, format: .pem)],
            privateKey: .bytes(credentials.privateKeyPEM, format: .pem)
        ) { tls in
            // Required, and never skipped: the custom callback replaces BoringSSL's chain check
            // but only runs when verification is on; `noHostnameVerification` keeps it on
            // (clients have no host name to match) and makes BoringSSL demand a certificate.
            tls.clientCertificateVerification = .noHostnameVerification
            tls.trustRoots = .certificates([.bytes(credentials.trustedCAPEM, format: .pem)])
            tls.requireALPN = true
            tls.customVerificationCallback = verifier.callback
        }
        let config = Config.defaults { config in
            config.rpc.maxRequestPayloadSize = limits.maxMessageBytes
        }
        return HTTP2ServerTransport.Posix(address: socketAddress, transportSecurity: security, config: config)
    }
}
