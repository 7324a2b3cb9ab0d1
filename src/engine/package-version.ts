/** berth's version; a test keeps it equal to package.json's. */
export const BERTH_VERSION = '0.1.0';
