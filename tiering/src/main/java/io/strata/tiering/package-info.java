/** Strata tiering module. */
package io.strata.tiering;
