/// A partition that cannot be made as asked: too few rows for the sites, a column that is
/// not there, a parameter out of range, or a site file that cannot be written.
///
/// `message` is complete on its own and names what is at fault: the site ("site 7 got no
/// rows with Dirichlet(α = 0.05) over 10 sites; raise alpha or lower sites"), the column,
/// the file and line, or the parameter.
public struct PartitionError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, for code that reacts to particular failures.
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// A parameter (sites, alpha, minimum rows) is out of range.
        case invalidParameter
        /// A site would get fewer rows than the minimum (none, by default).
        case siteTooSmall
        /// The label or grouping column is not in the table.
        case missingColumn
        /// A row has no value in the label or grouping column, so it has no site.
        case missingValue
        /// A site's rows could not be written out.
        case unwritableFile
    }

    /// What went wrong.
    public var code: Code
    /// The full human-readable text.
    public var message: String
    /// The site the error is about (its name, e.g. `site-7`), when there is one.
    public var site: String?

    /// An error with the given code and message.
    public init(_ code: Code, _ message: String, site: String? = nil) {
        self.code = code
        self.message = message
        self.site = site
    }

    /// The message.
    public var description: String { message }
}
