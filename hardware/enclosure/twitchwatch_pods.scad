// twitchwatch enclosure: a light sensor pod for the muscle and a wrist pod for board and battery.
//
// Parametric: change the numbers below, not the modules. hardware/enclosure/mass.py reads the
// same numbers (every line "name = number;" in the PARAMETERS block) and computes each part's
// volume and mass; tests/hardware/test_hw_enclosure.py renders every part with OpenSCAD (when
// installed) and checks the STL volume against that computation.
//
// Render one part to STL:
//   openscad -o sensor_tray.stl -D 'part="sensor_tray"' twitchwatch_pods.scad
// parts: sensor_tray, sensor_lid, wrist_tray, wrist_lid, all (preview layout)
// Units: millimetres. Print the sensor pod in TPU 95A (or PLA), the wrist pod in PLA or PETG.

part = "all";

// ---- PARAMETERS (mass.py parses this block: keep one "name = number;" per line) ----
// Sensor pod: SparkFun Qwiic LSM6DSO (25.4 x 25.4 mm). For the Adafruit LSM6DSOX use 25.6 x 17.8.
s_pcb_w = 25.4;      // IMU board width
s_pcb_l = 25.4;      // IMU board length
s_pcb_t = 1.6;       // IMU board thickness
s_comp_h = 3.0;      // tallest part on the board (Qwiic connector, solder joints)
s_tape_t = 0.2;      // thin, stiff double-sided tape under the board (not foam: foam damps twitches)
s_gap = 0.3;         // side clearance around the board
s_gap_z = 0.4;       // clearance above the tallest part
s_wall = 0.8;        // side wall (two 0.4 mm perimeters)
s_floor = 0.6;       // floor between skin and board: thin keeps the IMU close to the muscle
s_lid_t = 0.6;       // lid
s_r = 2.0;           // outer corner radius
s_slot_w = 5.5;      // cable slot width (5 wires side by side)
s_slot_h = 1.5;      // cable slot depth from the top edge of the wall

// Wrist pod: LiPo 603450 (about 6 x 34 x 50 mm with its protection board) under a XIAO ESP32S3.
w_batt_t = 6.2;      // battery thickness (allow for swelling margin)
w_batt_w = 35.0;     // battery width
w_batt_l = 53.0;     // battery length including the protection board and leads' fold
w_xiao_w = 17.8;     // XIAO width
w_xiao_l = 21.0;     // XIAO length (USB-C end to the far edge)
w_xiao_h = 6.0;      // XIAO stack: back-side divider parts 1.0 + PCB 1.0 + shield and USB-C 3.5 + 0.5
w_stack_gap = 1.0;   // polyimide tape + foam tape between battery and XIAO
w_gap = 0.5;         // side clearance
w_wall = 1.6;        // wall
w_floor = 1.2;       // floor
w_lid_t = 1.2;       // lid plate
w_r = 3.0;           // outer corner radius
w_usb_w = 10.0;      // USB-C opening width
w_usb_h = 4.5;       // USB-C opening height
w_usb_z = 3.5;       // USB-C centre above the bottom of the XIAO stack
w_sw_w = 9.0;        // slide-switch opening length
w_sw_h = 4.0;        // slide-switch opening height
w_sw_y = 12.0;       // slide-switch opening centre, along the pod from its middle
w_cable_d = 4.0;     // cable hole diameter (heat-shrunk bundle of 5 wires)
w_lug_w = 26.0;      // strap lug width (for a 20 mm strap)
w_lug_l = 5.0;       // strap lug length (sticks out from each end wall)
w_lug_h = 4.0;       // strap lug height
w_lug_slot_w = 21.0; // strap slot width
w_lug_slot_l = 2.5;  // strap slot length
w_lip_t = 1.2;       // lid locating bars: thickness
w_lip_h = 2.0;       // lid locating bars: height below the lid
w_lip_gap = 0.2;     // lid locating bars: clearance to the walls
w_led_d = 3.0;       // light window above the XIAO's LEDs
w_led_y = 6.0;       // light window centre from the inside of the USB end wall
// ---- END PARAMETERS ----

$fn = 64;
eps = 0.01;

// derived (mass.py repeats these formulas; the render test keeps both honest)
s_in_w = s_pcb_w + 2 * s_gap;
s_in_l = s_pcb_l + 2 * s_gap;
s_in_h = s_tape_t + s_pcb_t + s_comp_h + s_gap_z;
s_out_w = s_in_w + 2 * s_wall;
s_out_l = s_in_l + 2 * s_wall;
s_tray_h = s_floor + s_in_h;

w_in_w = max(w_batt_w, w_xiao_w) + 2 * w_gap;
w_in_l = max(w_batt_l, w_xiao_l) + 2 * w_gap;
w_in_h = w_batt_t + w_stack_gap + w_xiao_h;
w_out_w = w_in_w + 2 * w_wall;
w_out_l = w_in_l + 2 * w_wall;
w_tray_h = w_floor + w_in_h;

// A box with rounded vertical edges, centred on x/y, from z = 0 to h.
module rbox(w, l, h, r) {
    hull() for (sx = [-1, 1], sy = [-1, 1])
        translate([sx * (w / 2 - r), sy * (l / 2 - r), 0]) cylinder(r = r, h = h);
}

module sensor_tray() {
    difference() {
        rbox(s_out_w, s_out_l, s_tray_h, s_r);
        translate([0, 0, s_floor]) rbox(s_in_w, s_in_l, s_in_h + 1, s_r - s_wall);
        // cable slot at the top of the +y wall
        translate([-s_slot_w / 2, s_in_l / 2 - eps, s_tray_h - s_slot_h]) cube([s_slot_w, s_wall + 2 * eps, s_slot_h + 1]);
    }
}

module sensor_lid() {
    rbox(s_out_w, s_out_l, s_lid_t, s_r);
}

module wrist_tray() {
    xiao_z = w_floor + w_batt_t + w_stack_gap;
    difference() {
        rbox(w_out_w, w_out_l, w_tray_h, w_r);
        translate([0, 0, w_floor]) rbox(w_in_w, w_in_l, w_in_h + 1, w_r - w_wall);
        // USB-C opening in the -y end wall (the XIAO sits with its USB-C port against it)
        translate([-w_usb_w / 2, -w_in_l / 2 - w_wall - eps, xiao_z + w_usb_z - w_usb_h / 2])
            cube([w_usb_w, w_wall + 2 * eps, w_usb_h]);
        // slide switch opening in the +x side wall
        translate([w_in_w / 2 - eps, w_sw_y - w_sw_w / 2, w_tray_h - 1.5 - w_sw_h])
            cube([w_wall + 2 * eps, w_sw_w, w_sw_h]);
        // sensor cable hole in the +y end wall
        translate([0, w_in_l / 2 - eps, w_tray_h - 1.5 - w_cable_d / 2])
            rotate([-90, 0, 0]) cylinder(d = w_cable_d, h = w_wall + 2 * eps);
    }
    // strap lugs on both end walls, each with a vertical slot for a 20 mm strap
    for (sy = [-1, 1])
        translate([0, sy * (w_out_l / 2 + w_lug_l / 2), 0])
            difference() {
                translate([-w_lug_w / 2, -w_lug_l / 2, 0]) cube([w_lug_w, w_lug_l, w_lug_h]);
                translate([-w_lug_slot_w / 2, -w_lug_slot_l / 2, -eps]) cube([w_lug_slot_w, w_lug_slot_l, w_lug_h + 2 * eps]);
            }
}

// Modelled as printed: plate on the bed, locating bars up. Flip it over to close the pod.
module wrist_lid() {
    bar_l = w_in_l - 2 * w_lip_gap - 2 * (w_r - w_wall);
    difference() {
        rbox(w_out_w, w_out_l, w_lid_t, w_r);
        translate([0, -w_in_l / 2 + w_led_y, -eps]) cylinder(d = w_led_d, h = w_lid_t + 2 * eps);
    }
    // two locating bars along the long walls; they clear the XIAO and the battery
    for (sx = [-1, 1])
        translate([sx * (w_in_w / 2 - w_lip_gap - w_lip_t / 2) - w_lip_t / 2, -bar_l / 2, w_lid_t - eps])
            cube([w_lip_t, bar_l, w_lip_h + eps]);
}

if (part == "sensor_tray") sensor_tray();
else if (part == "sensor_lid") sensor_lid();
else if (part == "wrist_tray") wrist_tray();
else if (part == "wrist_lid") wrist_lid();
else {
    sensor_tray();
    translate([s_out_w + 5, 0, 0]) sensor_lid();
    translate([0, s_out_l / 2 + w_out_l / 2 + 20, 0]) wrist_tray();
    translate([w_out_w + 10, s_out_l / 2 + w_out_l / 2 + 20, 0]) wrist_lid();
}
