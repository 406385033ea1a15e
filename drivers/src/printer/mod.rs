//! ESC/POS receipt printer (being written).
