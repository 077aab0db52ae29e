/**
 * The protocol server's machinery: framing, per-connection dispatch and ordering, ApiVersions,
 * response encoding, metrics, pipeline assembly, listener parsing. Not for use outside the module;
 * public only so the api package and tests can reach it.
 */
package io.strata.protocol.internals;
