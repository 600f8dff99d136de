/** Injection token of one board registration's validated options. @internal */
export const SIGNAL_BOARD_CONFIG = Symbol('SIGNAL_BOARD_CONFIG');
