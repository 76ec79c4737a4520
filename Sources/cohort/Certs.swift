import ArgumentParser
import CohortRPC
import Foundation

/// `cohort certs`: the federation's PKI. The operator runs `init` and `sign`; every party runs
/// `request` where it lives, so no private key ever travels.
struct Certs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the federation CA: create it, request and sign party certificates, inspect them.",
        discussion: """
            The operator runs `init` once and `sign` for each request. Each party runs
            `request` where it lives and sends only NAME.csr.pem; it gets back
            NAME.cert.pem and a copy of ca.cert.pem. NAME.key.pem never moves.
            The orchestrator's request lists, with --host, each DNS name or IP address
            it is reached at. A certificate's role decides which calls it may make,
            and a site's id is the name in its certificate.
            """,
        subcommands: [Init.self, Request.self, Sign.self, Show.self, Verify.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init", abstract: "Create the federation CA (ca.key.pem, mode 0600, and ca.cert.pem).")
        @Option(help: "The CA directory (created if missing; an existing CA is never overwritten).") var dir: String
        @Option(help: "The federation's name (letters, digits, '.', '-', '_').") var name = "default"
        @Option(help: "Days the CA is valid; every certificate it signs expires before it does.") var days = 3650

        func validate() throws {
            guard days >= 1 else { throw ValidationError("--days must be at least 1, got \(days)") }
        }

        func run() throws {
            let ca = try FederationCA.initialize(directory: URL(fileURLWithPath: dir), name: name, validity: .days(days))
            let summary = CertificateSummary(ca.certificate)
            print("created the federation CA '\(ca.federationName)' in \(dir)")
            print("  \(FederationCA.keyFileName)   private key (0600): keep it with the operator, back it up offline")
            print("  \(FederationCA.certificateFileName)  give a copy to every party")
            print("  valid until \(summary.notValidAfter.formatted(.iso8601)); SHA-256 \(summary.sha256Fingerprint)")
        }
    }

    struct Request: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create this party's private key and a certificate signing request for the CA.")
        @Option(help: "site, researcher or orchestrator.") var role: String
        @Option(help: "The party's name (a site's id): letters, digits, '.', '-', '_', at most 64.") var name: String
        @Option(help: "Directory for NAME.key.pem (0600) and NAME.csr.pem.") var out: String
        @Option(name: .customLong("host"), help: "Orchestrator only (at least one): a DNS name or IP address it is reached at. Repeatable.")
        var hosts: [String] = []

        func validate() throws {
            do {
                _ = try PartyRole(parsing: role)
            } catch let error as PKIError {
                throw ValidationError("--role: \(error.message)")
            }
        }

        func run() throws {
            let request = try CertificateRequest.create(
                role: try PartyRole(parsing: role), name: name, outputDirectory: URL(fileURLWithPath: out), hosts: hosts)
            print("created a key and a signing request for the \(request.identity)")
            print("  \(request.keyURL.path)  private key (0600): it never leaves this machine")
            print("  \(request.requestURL.path)  send this to the federation operator to sign")
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a signing request and issue its certificate (NAME.cert.pem beside the request).")
        @Argument(help: "The request (NAME.csr.pem).") var request: String
        @Option(help: "The CA directory.") var ca: String
        @Option(help: "Days the certificate is valid.") var days = 365
        @Option(help: "Where to write the certificate (default: NAME.cert.pem beside the request).") var out: String?
        @Flag(help: "Replace an existing certificate at the output path (renewal).") var replace = false

        func validate() throws {
            guard days >= 1 else { throw ValidationError("--days must be at least 1, got \(days)") }
        }

        func run() throws {
            let issued: FederationCA.IssuedCertificate
            do {
                issued = try FederationCA.sign(
                    requestAt: URL(fileURLWithPath: request), caDirectory: URL(fileURLWithPath: ca), validity: .days(days),
                    output: out.map { URL(fileURLWithPath: $0) }, replacing: replace)
            } catch var error as PKIError where error.code == .fileExists {
                error.message += " (to renew it, sign again with --replace)"
                throw error
            }
            let summary = CertificateSummary(issued.certificate)
            print("issued a certificate for the \(issued.identity): \(issued.url.path)")
            print("  SANs \(summary.alternativeNames.joined(separator: ", "))")
            print("  valid until \(summary.notValidAfter.formatted(.iso8601)); serial \(summary.serialNumber)")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a certificate: subject, role, name, SANs, validity, issuer, fingerprint.")
        @Argument(help: "A PEM certificate (NAME.cert.pem or ca.cert.pem); every certificate in it is shown.") var file: String

        func run() throws {
            let certificates = try PEMFile.readCertificates(at: URL(fileURLWithPath: file))
            let now = Date()
            for (index, certificate) in certificates.enumerated() {
                if index > 0 { print("") }
                let summary = CertificateSummary(certificate)
                print(summary)
                print("status:      \(summary.isValid(at: now) ? "within its validity period" : (now > summary.notValidAfter ? "EXPIRED" : "NOT YET VALID"))")
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a certificate against the federation CA, as the orchestrator does for each connection.")
        @Argument(help: "A PEM certificate (leaf first).") var file: String
        @Option(help: "The CA directory, or the CA certificate file.") var ca: String
        @Option(name: .customLong("role"), help: "A role to accept (repeatable; default: any).") var roles: [String] = []
        @Flag(help: "Check for TLS server use (serverAuth) instead of client use.") var server = false

        func validate() throws {
            for role in roles {
                guard PartyRole(rawValue: role) != nil else {
                    throw ValidationError("--role: unknown role '\(role)': expected site, researcher or orchestrator")
                }
            }
        }

        func run() async throws {
            var caURL = URL(fileURLWithPath: ca)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: caURL.path, isDirectory: &isDirectory), isDirectory.boolValue {
                caURL.appendPathComponent(FederationCA.certificateFileName)
            }
            let trusted = try PEMFile.readCertificate(at: caURL)
            let chain = try PEMFile.readCertificates(at: URL(fileURLWithPath: file))
            let allowed = roles.isEmpty ? Set(PartyRole.allCases) : Set(roles.compactMap(PartyRole.init(rawValue:)))
            let identity = try await PartyIdentity.verify(
                certificateChain: chain, trustedCA: trusted, allowing: allowed,
                purpose: server ? .serverAuthentication : .clientAuthentication, source: file)
            print("valid: \(identity) (\(identity.uri))")
        }
    }
}
