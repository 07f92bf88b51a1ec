import RampartConfig

/// A policy or tag file's problems are configuration errors like any other file's: one
/// type (`ConfigError`, in RampartConfig) under the policy's names.
public typealias PolicyError = ConfigError
public typealias PolicyErrors = ConfigErrors
