import Foundation
import SwiftASN1
import X509

/// Reading and writing the PEM files of a federation's PKI.
///
/// Writes are exclusive by default: a file that exists is never replaced silently (a CA, a key
/// or someone else's certificate). Private keys are created with mode 0600 from the first byte,
/// so there is no moment when they are readable by others.
public enum PEMFile {
    /// File mode of private keys: owner read/write only.
    static let privateKeyPermissions: mode_t = 0o600
    /// File mode of certificates and requests: readable by all, they hold no secret.
    static let publicPermissions: mode_t = 0o644

    /// Reads every certificate in a PEM file, in file order (leaf first for a chain).
    ///
    /// - Throws: ``PKIError`` naming the file if it cannot be read, holds no
    ///   certificate, or holds one that does not parse.
    public static func readCertificates(at url: URL) throws -> [Certificate] {
        let text = try readText(at: url, what: "certificate")
        let certificates = try parseCertificates(pem: text, source: url.path)
        guard !certificates.isEmpty else {
            throw PKIError(code: .malformed, message: "\(url.path): no CERTIFICATE block in this PEM file")
        }
        return certificates
    }

    /// Reads the first certificate in a PEM file.
    public static func readCertificate(at url: URL) throws -> Certificate {
        let certificates = try readCertificates(at: url)
        return certificates[0]
    }

    /// The certificates in PEM text, in order; other PEM blocks (keys, requests) are refused.
    static func parseCertificates(pem text: String, source: String) throws -> [Certificate] {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            throw PKIError(code: .malformed, message: "\(source): not valid PEM", cause: error)
        }
        return try documents.map { document in
            guard document.discriminator == "CERTIFICATE" else {
                throw PKIError(
                    code: .malformed, message: "\(source): expected a CERTIFICATE, found a \(document.discriminator)")
            }
            do {
                return try Certificate(pemDocument: document)
            } catch {
                throw PKIError(code: .malformed, message: "\(source): the certificate does not parse", cause: error)
            }
        }
    }

    /// The whole text of a file.
    static func readText(at url: URL, what: String) throws -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw PKIError(code: .fileUnreadable, message: "cannot read \(what) \(url.path)", cause: error)
        }
    }

    /// Writes `text` to `url` with `permissions`.
    ///
    /// - Parameter replacing: if false (the default) an existing file is an error; if true the
    ///   file is replaced atomically (written beside it, then renamed over it).
    static func write(_ text: String, to url: URL, permissions: mode_t, replacing: Bool = false, what: String) throws {
        if !replacing {
            try writeExclusive(text, path: url.path, permissions: permissions, what: what)
            return
        }
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial")
        try writeExclusive(text, path: temporary.path, permissions: permissions, what: what)
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw PKIError(code: .fileUnwritable, message: "cannot replace \(what) \(url.path): \(reason)")
        }
    }

    /// Creates `path` (failing if it exists) with exactly `permissions`, writes and syncs it.
    private static func writeExclusive(_ text: String, path: String, permissions: mode_t, what: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
        guard descriptor >= 0 else {
            if errno == EEXIST {
                throw PKIError(code: .fileExists, message: "\(what) \(path) already exists; refusing to overwrite it")
            }
            throw PKIError(
                code: .fileUnwritable, message: "cannot create \(what) \(path): \(String(cString: strerror(errno)))")
        }
        var failure: String?
        // The umask may have cleared bits of `permissions`; set them exactly.
        if fchmod(descriptor, permissions) != 0 { failure = String(cString: strerror(errno)) }
        let bytes = Array(text.utf8)
        var written = 0
        while failure == nil && written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno))
            } else {
                written += count
            }
        }
        if failure == nil && fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        if close(descriptor) != 0 && failure == nil { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(path)
            throw PKIError(code: .fileUnwritable, message: "cannot write \(what) \(path): \(failure)")
        }
    }

    /// Creates `url` (and its parents) with `permissions` if it does not exist yet.
    static func ensureDirectory(_ url: URL, permissions: Int = 0o700) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw PKIError(code: .fileUnwritable, message: "\(url.path) exists and is not a directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(
                at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: permissions])
        } catch {
            throw PKIError(code: .fileUnwritable, message: "cannot create directory \(url.path)", cause: error)
        }
    }

    /// Whether a file exists at `url`.
    static func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }
}
