/** Strata protocol module. */
package io.strata.protocol;
