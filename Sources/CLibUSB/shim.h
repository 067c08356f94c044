#ifndef FLUOROBOX_CLIBUSB_SHIM_H
#define FLUOROBOX_CLIBUSB_SHIM_H
#include <libusb-1.0/libusb.h>

/* Swift does not import flexible array members: the descriptor of packet i of an
   isochronous transfer. */
static inline struct libusb_iso_packet_descriptor *fb_libusb_iso_packet(struct libusb_transfer *transfer, int index) {
    return &transfer->iso_packet_desc[index];
}
#endif
