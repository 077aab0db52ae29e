/** Strata ledger-storage module. */
package io.strata.storage;
