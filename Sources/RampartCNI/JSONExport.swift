// The plugin's configuration, results and agent messages are JSONValues in its public API,
// so users of RampartCNI get the type with it.
@_exported import RampartJSON
