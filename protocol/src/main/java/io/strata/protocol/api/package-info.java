/**
 * The protocol module's public surface: the broker implements {@link
 * io.strata.protocol.api.ApiHandler}s, registers them by {@code ApiKeys} in an {@link
 * io.strata.protocol.api.ApiRegistry}, and runs a {@link io.strata.protocol.api.ProtocolServer}
 * configured by a {@link io.strata.protocol.api.ProtocolConfig}. Handlers receive a {@link
 * io.strata.protocol.api.RequestContext} with each parsed request.
 */
package io.strata.protocol.api;
