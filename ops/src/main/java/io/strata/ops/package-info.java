/** Strata ops module. */
package io.strata.ops;
