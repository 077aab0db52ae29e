/** Strata stateless-broker module. */
package io.strata.broker;
